import { Coming } from '../components/Coming';

export default function TryItPage() {
  return <Coming title="Try it" />;
}

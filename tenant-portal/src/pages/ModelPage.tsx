import { Coming } from '../components/Coming';

export default function ModelPage() {
  return <Coming title="Model" />;
}

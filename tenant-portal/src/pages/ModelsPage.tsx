import { Coming } from '../components/Coming';

export default function ModelsPage() {
  return <Coming title="Models" />;
}

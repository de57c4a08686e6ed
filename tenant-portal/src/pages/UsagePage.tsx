import { Coming } from '../components/Coming';

export default function UsagePage() {
  return <Coming title="Usage" />;
}

import { Coming } from '../components/Coming';

export default function OverviewPage() {
  return <Coming title="Overview" />;
}

import { Coming } from '../components/Coming';

export default function ServiceAccountsPage() {
  return <Coming title="Service accounts" />;
}

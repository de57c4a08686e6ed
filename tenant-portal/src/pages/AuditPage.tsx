import { Coming } from '../components/Coming';

export default function AuditPage() {
  return <Coming title="Audit" />;
}

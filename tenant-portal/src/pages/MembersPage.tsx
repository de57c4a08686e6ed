import { Coming } from '../components/Coming';

export default function MembersPage() {
  return <Coming title="Members" />;
}

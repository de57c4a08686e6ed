import { Coming } from '../components/Coming';

export default function ApiKeysPage() {
  return <Coming title="API keys" />;
}

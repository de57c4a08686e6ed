import { Coming } from '../components/Coming';

export default function UploadPage() {
  return <Coming title="Upload a version" />;
}

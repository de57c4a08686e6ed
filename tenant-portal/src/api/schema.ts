// The types openapi-typescript generates from openapi.yaml (once, in web-kit, for both apps).
export type { components, paths } from '@modelplane/web-kit/schema';

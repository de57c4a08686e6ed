import { mountApp } from '@modelplane/web-kit';
import { App } from './App';

mountApp(<App />, {
  organizations: true,
  rejectedKey: 'That API key was not accepted (wrong, revoked or of a suspended tenant).',
});

import { mountApp } from '@modelplane/web-kit';
import { App } from './App';

mountApp(<App />, { rejectedKey: 'That operator key was not accepted.' });

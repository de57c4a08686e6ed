// The shared page for a path no route matches, as a lazily loaded page of this app.
export { NotFoundPage as default } from '@modelplane/web-kit';

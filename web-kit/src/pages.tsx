import { lazy, Suspense, type ComponentType, type LazyExoticComponent } from 'react';
import { Center, Loader } from '@mantine/core';
import { matchPath } from './router';

type PageComponent = ComponentType<{ params: Record<string, string> }>;

/** A route of an app: a path pattern (`/models/:model`) and its page, loaded lazily so the first load stays small. */
export interface PageRoute {
  pattern: string;
  page: LazyExoticComponent<PageComponent>;
}

export const lazyPage = (load: () => Promise<{ default: PageComponent }>) => lazy(load);

export function Loading() {
  return (
    <Center py="xl" role="status" aria-label="Loading">
      <Loader size="sm" />
    </Center>
  );
}

/** The page of the first route matching `path` (or `notFound`), with its decoded params. */
export function RoutedPage({ routes, notFound, path }: { routes: PageRoute[]; notFound: LazyExoticComponent<PageComponent>; path: string }) {
  let Page = notFound;
  let params: Record<string, string> = {};
  for (const r of routes) {
    const m = matchPath(r.pattern, path);
    if (m) {
      Page = r.page;
      params = m;
      break;
    }
  }
  return (
    <Suspense fallback={<Loading />}>
      <Page key={path} params={params} />
    </Suspense>
  );
}

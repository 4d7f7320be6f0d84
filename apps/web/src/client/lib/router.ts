import { useEffect, useState } from 'preact/hooks';

/** The pages of the app, addressed by the URL hash (`#/audit`). */
export const PAGES = [
  { id: 'chat', label: 'Chat' },
  { id: 'audit', label: 'Audit log' },
  { id: 'policies', label: 'Policies' },
  { id: 'vendors', label: 'Vendors' },
  { id: 'data', label: 'My data' },
] as const;

/** A page id. */
export type PageId = (typeof PAGES)[number]['id'];

/** The current route: page and query parameters of the hash. */
export interface Route {
  page: PageId;
  params: URLSearchParams;
}

function parse(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#\/?/, '').split('?');
  const page = PAGES.find((p) => p.id === path)?.id ?? 'chat';
  return { page, params: new URLSearchParams(query) };
}

/** The route from the hash, updated as it changes. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parse(location.hash));
  useEffect(() => {
    const onChange = (): void => setRoute(parse(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

/** The hash link of a page with parameters. */
export function href(page: PageId, params?: Record<string, string>): string {
  const q = params ? new URLSearchParams(params).toString() : '';
  return `#/${page}${q ? `?${q}` : ''}`;
}

import { useEffect, useState } from 'preact/hooks';

/** The page in the URL's hash (`#/tasks/train-…`), split into path segments; the API owns every real path. */
export function useRoute(): string[] {
  const read = () => location.hash.replace(/^#\/?/, '').split('?')[0]!.split('/').filter(Boolean).map(decodeURIComponent);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const changed = () => setRoute(read());
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return route;
}

export const href = (...segments: (string | number)[]) => `#/${segments.map((s) => encodeURIComponent(String(s))).join('/')}`;

export const go = (...segments: (string | number)[]) => (location.hash = href(...segments));

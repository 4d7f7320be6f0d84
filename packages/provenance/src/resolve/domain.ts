import { domainToUnicode } from 'node:url';
import { getDomain } from 'tldts';

/**
 * The registrable domain (eTLD+1 by the Public Suffix List, private suffixes included) of an
 * origin or host, lowercased and in ASCII (punycode), or `undefined` for IP addresses, `localhost`
 * and hosts without one.
 * @see https://publicsuffix.org/
 */
export function registrableDomain(originOrHost: string): string | undefined {
  let host = originOrHost;
  if (originOrHost.includes('://')) {
    try {
      host = new URL(originOrHost).hostname;
    } catch {
      return undefined;
    }
  }
  const domain = getDomain(host.toLowerCase(), { allowPrivateDomains: true });
  return domain ?? undefined;
}

/** The registrable domain without its public suffix, shown in Unicode (`xn--mazon-3ve.com` → `аmazon`). */
export function domainLabel(domain: string): string {
  const dot = domain.indexOf('.');
  return domainToUnicode(dot < 0 ? domain : domain.slice(0, dot));
}

/**
 * The proxies in front of the gateway (`TRUST_PROXY`) whose `X-Forwarded-For` names the client: an
 * anonymous caller's quota is its address, which behind a load balancer is otherwise the balancer's.
 */
import proxyaddr from 'proxy-addr';

/** `TRUST_PROXY`: comma-separated addresses, CIDR ranges, or `loopback`, `linklocal`, `uniquelocal`. */
export function parseTrustedProxies(value: string | undefined): readonly string[] | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  const proxies = text.split(',').map((proxy) => proxy.trim()).filter(Boolean);
  try {
    proxyaddr.compile(proxies);
  } catch (error) {
    throw new Error(`TRUST_PROXY: ${(error as Error).message} (addresses, CIDR ranges, loopback, linklocal or uniquelocal)`);
  }
  return proxies;
}

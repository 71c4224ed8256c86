/**
 * The address a request comes from, for the quotas of anonymous callers: the connection's, or, from
 * trusted proxies (TRUST_PROXY), the nearest address in `X-Forwarded-For` that is not one of them.
 */
import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';

export type ClientAddress = (req: IncomingMessage) => string | undefined;

export function clientAddress(trustedProxies: readonly string[] | undefined): ClientAddress {
  if (!trustedProxies) return (req) => req.socket.remoteAddress;
  const trust = proxyaddr.compile([...trustedProxies]);
  // proxy-addr reads the connection's address and the header; a socket already gone has no address
  return (req) => (req.socket.remoteAddress === undefined ? undefined : proxyaddr(req, trust));
}

/** The browser origins that may call the API (`CORS_ORIGINS`), as configured. */
export type CorsOrigins = readonly string[] | '*';

/** `CORS_ORIGINS`: comma-separated origins, or `*`. */
export function parseCorsOrigins(value: string | undefined): CorsOrigins | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (text === '*') return '*';
  const origins = text.split(',').map((origin) => origin.trim()).filter(Boolean);
  for (const origin of origins) {
    const url = URL.canParse(origin) ? new URL(origin) : null;
    if (!url || url.origin !== origin) throw new Error(`CORS_ORIGINS: "${origin}" is not an origin (scheme://host[:port], no path)`);
  }
  return origins;
}

/**
 * What every verification asks first: is this key or origin on the person's deny-list? The
 * SQLite-backed {@link RevocationList} implements it; tests may pass a stub.
 */
export interface RevocationCheck {
  isKeyRevoked(kid: string): boolean;
  isOriginRevoked(origin: string): boolean;
}

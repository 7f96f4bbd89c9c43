// Alertmanager identifies an alert by the fingerprint of its label set (prometheus/common model.LabelSet
// Fingerprint): FNV-1a 64 over the sorted names and their values, each followed by the byte 0xff, printed as
// 16 hex digits. Computing it the same way lets a receiver that also hears Alertmanager match our alerts.

const OFFSET = 0xcbf29ce484222325n;
const PRIME = 0x100000001b3n;
const MASK = 0xffffffffffffffffn;
const SEPARATOR = 0xff;

export function fingerprint(labels: Record<string, string>): string {
  let hash = OFFSET;
  const add = (byte: number) => {
    hash = ((hash ^ BigInt(byte)) * PRIME) & MASK;
  };
  // Label names are ASCII ([a-zA-Z_][a-zA-Z0-9_]*), so JavaScript's sort is Go's byte order.
  for (const name of Object.keys(labels).sort()) {
    for (const byte of Buffer.from(name)) add(byte);
    add(SEPARATOR);
    for (const byte of Buffer.from(labels[name]!)) add(byte);
    add(SEPARATOR);
  }
  return hash.toString(16).padStart(16, '0');
}

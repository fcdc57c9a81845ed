// Enrolment links, as a manager's device shows them in a QR code
// (`stockroom://enrol?hub=<address>&code=<code>`, made by the core's
// `make_enrol_code`): read back into the hub's address and the code.

const PREFIX = 'stockroom://enrol?';

export interface EnrolLink {
  hubUrl: string;
  code: string;
}

/** The hub address and code of an enrolment link; null for any other text. */
export function parseEnrolLink(text: string): EnrolLink | null {
  const trimmed = text.trim();
  if (!trimmed.toLowerCase().startsWith(PREFIX)) return null;
  const query = new URLSearchParams(trimmed.slice(PREFIX.length));
  const hubUrl = query.get('hub')?.trim() ?? '';
  const code = query.get('code')?.trim() ?? '';
  if (!/^https?:\/\//i.test(hubUrl) || !code) return null;
  return { hubUrl, code };
}

/**
 * Chamilo's XML layout of users: `<Contacts>` holding a `<Contact>` per user,
 * one element per column, written a contact at a time (src/core/export.ts).
 */
export const XML_CONTACTS_OPENING = '<?xml version="1.0" encoding="UTF-8"?>\n<Contacts>\n';
export const XML_CONTACTS_CLOSING = '</Contacts>\n';

/** One contact: `names[i]` holds `values[i]`; an empty value is an empty element. */
export function xmlContact(names: readonly string[], values: readonly string[]): string {
  let text = '    <Contact>\n';
  for (let i = 0; i < names.length; i++) {
    const value = values[i]!;
    text += value === '' ? `        <${names[i]} />\n` : `        <${names[i]}>${escapeXml(value)}</${names[i]}>\n`;
  }
  return `${text}    </Contact>\n`;
}

// Characters XML 1.0 cannot carry at all, even as references.
const XML_INVALID = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

export function escapeXml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(XML_INVALID, '\ufffd');
}

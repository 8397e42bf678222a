/**
 * The first records of a CSV text (RFC 4180 quoting: quoted fields may hold commas, quotes and
 * line breaks), header first. Reads only as far as it needs; a cut-off last record is dropped.
 */
export function firstRecords(text: string, count: number, complete = false): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  const endRecord = () => {
    record.push(field.trim());
    field = '';
    if (record.some((cell) => cell !== '')) records.push(record);
    record = [];
  };
  while (i < text.length && records.length < count) {
    const char = text[i]!;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') record.push(field.trim()), (field = '');
    else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i++;
      endRecord();
    } else field += char;
    i++;
  }
  // The text ended mid-record: keep that record only when the text is the whole file.
  if (records.length < count && complete && !quoted && (field || record.length)) endRecord();
  return records;
}

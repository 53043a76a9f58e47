/**
 * One CSV record per line (RFC 4180 quoting: `"a, b"`, `"say ""hi"""`), no newlines inside fields, which
 * traces of request metadata never need. Returns the fields, or a message saying what is wrong.
 */
export function splitCsvLine(line: string): string[] | { error: string } {
  const fields: string[] = [];
  let pos = 0;
  for (;;) {
    while (line[pos] === ' ' || line[pos] === '\t') pos++;
    if (line[pos] === '"') {
      let value = '';
      pos++;
      for (;;) {
        const close = line.indexOf('"', pos);
        if (close < 0) return { error: 'a quoted field is never closed' };
        value += line.slice(pos, close);
        if (line[close + 1] === '"') {
          value += '"';
          pos = close + 2;
          continue;
        }
        pos = close + 1;
        break;
      }
      while (line[pos] === ' ' || line[pos] === '\t') pos++;
      fields.push(value);
      if (pos >= line.length) return fields;
      if (line[pos] !== ',') return { error: `unexpected ${JSON.stringify(line[pos])} after a quoted field` };
      pos++;
    } else {
      const comma = line.indexOf(',', pos);
      const end = comma < 0 ? line.length : comma;
      fields.push(line.slice(pos, end).trim());
      if (comma < 0) return fields;
      pos = comma + 1;
    }
  }
}

// The box `npm start` prints once everything answers.

/** Prints `rows` as aligned `label  value` lines in a box. */
export function printBox(title: string, rows: Array<[label: string, value: string]>, footer: string[] = []): void {
  const labelWidth = Math.max(...rows.map(([label]) => label.length));
  const lines = [title, '', ...rows.map(([label, value]) => `${label.padEnd(labelWidth)}  ${value}`)];
  if (footer.length > 0) lines.push('', ...footer);
  const width = Math.max(...lines.map((line) => line.length));
  const out = [
    `┌${'─'.repeat(width + 2)}┐`,
    ...lines.map((line) => `│ ${line.padEnd(width)} │`),
    `└${'─'.repeat(width + 2)}┘`,
  ];
  process.stdout.write(`\n${out.join('\n')}\n\n`);
}

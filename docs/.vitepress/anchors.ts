/** The anchors of a Markdown page's headings, as VitePress makes them, for checks that read the sources rather than the built site. */

const CONTROL = /[\u0000-\u001f]/g;
const SPECIAL = /[\s~`!@#$%^&*()\-_+=[\]{}|\\;:"'“”‘’<>,.?/]+/g;
const COMBINING = /[\u0300-\u036F]/g;

/** A heading text's anchor: VitePress's default slugify (the one of @mdit-vue/shared). */
export function slugify(text: string): string {
  return text.normalize('NFKD').replace(COMBINING, '').replace(CONTROL, '').replace(SPECIAL, '-')
    .replace(/-{2,}/g, '-').replace(/^-+|-+$/g, '').replace(/^(\d)/, '_$1').toLowerCase();
}

/** The text a heading renders: links as their text, inline code without its marks. */
function headingText(source: string): string {
  return source.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/`([^`]*)`/g, '$1').replace(/\*\*([^*]*)\*\*/g, '$1').trim();
}

/** Every heading anchor of a Markdown text (outside code fences): its explicit `{#id}`, or its text's slug. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  let fence: string | undefined;
  for (const line of markdown.split('\n')) {
    const mark = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (mark && (fence === undefined || mark.startsWith(fence))) {
      fence = fence === undefined ? mark : undefined;
      continue;
    }
    const heading = fence === undefined ? /^#{1,6}\s+(.*?)\s*$/.exec(line)?.[1] : undefined;
    if (heading === undefined) continue;
    const explicit = /\{#([^}]+)\}\s*$/.exec(heading)?.[1];
    anchors.add(explicit ?? slugify(headingText(heading)));
  }
  return anchors;
}

import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { cryptoReady, decryptChunks, fromHex, fromUtf8 } from '../../../server/core/crypto/index.js';
import { DOC_VECTORS, formatVectorBlock } from '../../../server/core/crypto/vectors.js';

// docs/crypto.md §7 must be what the code computes: every deterministic block is recomputed with
// the production code and compared with the document character for character.
beforeAll(cryptoReady);

const markdown = readFileSync(new URL('../../../docs/crypto.md', import.meta.url), 'utf8');

function block(name: string): string {
  const match = new RegExp('```vector ' + name + '\\n[\\s\\S]*?```').exec(markdown);
  if (!match) throw new Error(`vector ${name} missing from docs/crypto.md`);
  return match[0];
}

function fields(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n').slice(1, -1)) {
    const at = line.indexOf(' = ');
    out[line.slice(0, at).trim()] = line.slice(at + 3);
  }
  return out;
}

describe('docs/crypto.md §7 matches the code', () => {
  for (const [name, compute] of Object.entries(DOC_VECTORS)) {
    it(`vector ${name}`, () => {
      expect(block(name)).toBe(formatVectorBlock(name, compute()));
    });
  }

  it('vector secretstream opens with the production decryptor, header first', async () => {
    const v = fields(block('secretstream'));
    async function* items() {
      for (const item of [v.item0!, v.item1!, v.item2!]) yield fromHex(item);
    }
    const out: string[] = [];
    for await (const chunk of decryptChunks(fromHex(v.key!), items())) out.push(fromUtf8(chunk));
    expect(out).toEqual([v.text1, v.text2]);
  });
});

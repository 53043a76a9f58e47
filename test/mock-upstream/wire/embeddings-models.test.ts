import { describe, expect, it } from 'vitest';
import { synthEmbedding } from '../../../mock-upstream/wire/content.ts';
import {
  embeddingsBody,
  encodeFloat32Base64,
  parseEmbeddingsRequest,
} from '../../../mock-upstream/wire/embeddings.ts';
import { modelBody, modelsListBody } from '../../../mock-upstream/wire/models.ts';
import { Rng } from '../../../src/sim/rng.ts';

describe('parseEmbeddingsRequest', () => {
  it.each([
    ['one string', { input: 'hello' }, 1, 2, ['hello']],
    ['strings', { input: ['a', 'b', 'c'] }, 3, 3, ['a', 'b', 'c']],
    ['one token array', { input: [1, 2, 3] }, 1, 3, [[1, 2, 3]]],
    ['token arrays', { input: [[1, 2], [3]] }, 2, 3, [[1, 2], [3]]],
  ])('reads %s as %d inputs', (_name, body, inputCount, promptTokens, items) => {
    const r = parseEmbeddingsRequest(JSON.stringify({ model: 'text-embedding-3-small', ...body }));
    expect(r.ok && r.value).toEqual({
      model: 'text-embedding-3-small',
      input: body.input,
      inputCount,
      items,
      // The model's own size when the request does not ask for one.
      dimensions: 1536,
      encodingFormat: 'float',
      promptTokens,
    });
  });

  it('reads dimensions and encoding_format', () => {
    const r = parseEmbeddingsRequest(
      JSON.stringify({ model: 'm', input: 'x', dimensions: 256, encoding_format: 'base64' }),
    );
    expect(r.ok && [r.value.dimensions, r.value.encodingFormat]).toEqual([256, 'base64']);
  });

  it.each([
    ['no model', { input: 'x' }, 'missing_field', 'model'],
    ['no input', { model: 'm' }, 'missing_field', 'input'],
    ['an empty string', { model: 'm', input: '' }, 'bad_request', 'input'],
    ['an empty array', { model: 'm', input: [] }, 'bad_request', 'input'],
    ['a mixed array', { model: 'm', input: ['a', 1] }, 'bad_request', 'input'],
    ['an object', { model: 'm', input: { text: 'x' } }, 'bad_request', 'input'],
    ['a bad encoding', { model: 'm', input: 'x', encoding_format: 'hex' }, 'bad_request', 'encoding_format'],
    ['zero dimensions', { model: 'm', input: 'x', dimensions: 0 }, 'bad_request', 'dimensions'],
  ])('rejects %s', (_name, body, kind, param) => {
    const r = parseEmbeddingsRequest(JSON.stringify(body));
    expect(r.ok ? 'ok' : [r.kind, r.param]).toEqual([kind, param]);
  });

  it('words a bad input as the API does', () => {
    const r = parseEmbeddingsRequest(JSON.stringify({ model: 'm', input: '' }));
    expect(!r.ok && r.message).toMatch(/^'\$\.input' is invalid\./);
  });
});

describe('embeddingsBody', () => {
  const vectors = [synthEmbedding(new Rng('v').fork('0'), 8), synthEmbedding(new Rng('v').fork('1'), 8)];

  it('is a list of float32-rounded embeddings with usage', () => {
    const body = JSON.parse(embeddingsBody({ model: 'text-embedding-3-small', vectors, promptTokens: 5 }));
    expect(body).toEqual({
      object: 'list',
      data: vectors.map((v, index) => ({ object: 'embedding', index, embedding: v.map(Math.fround) })),
      model: 'text-embedding-3-small',
      usage: { prompt_tokens: 5, total_tokens: 5 },
    });
  });

  it('encodes base64 as little-endian float32 that decodes to the same numbers as the float form', () => {
    const floats = JSON.parse(embeddingsBody({ model: 'm', vectors, promptTokens: 1 }));
    const b64 = JSON.parse(
      embeddingsBody({ model: 'm', vectors, promptTokens: 1, encodingFormat: 'base64' }),
    );
    for (const [i, item] of b64.data.entries()) {
      const bytes = Buffer.from(item.embedding, 'base64');
      expect(bytes.length).toBe(8 * 4);
      const decoded = Array.from({ length: 8 }, (_, k) => bytes.readFloatLE(k * 4));
      expect(decoded).toEqual(floats.data[i].embedding);
    }
  });

  it('encodes known values byte for byte', () => {
    // 1.0f = 00 00 80 3f, -2.0f = 00 00 00 c0 (little-endian)
    expect(encodeFloat32Base64([1, -2])).toBe(
      Buffer.from([0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0]).toString('base64'),
    );
  });
});

describe('models', () => {
  it('lists models as the API does', () => {
    expect(JSON.parse(modelsListBody(['gpt-4o-mini', 'text-embedding-3-small'], 1_700_000_000))).toEqual({
      object: 'list',
      data: [
        { id: 'gpt-4o-mini', object: 'model', created: 1_700_000_000, owned_by: 'system' },
        { id: 'text-embedding-3-small', object: 'model', created: 1_700_000_000, owned_by: 'system' },
      ],
    });
  });

  it('retrieves one model', () => {
    expect(JSON.parse(modelBody('gpt-4o', 1))).toEqual({
      id: 'gpt-4o',
      object: 'model',
      created: 1,
      owned_by: 'system',
    });
  });
});

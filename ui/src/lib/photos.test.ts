import { describe, expect, it } from 'vitest';
import { BackendError } from './backend';
import { PhotoUrls, type PhotoSize } from './photos';

function harness(answers: Record<string, Uint8Array | BackendError>, maxEntries = 10) {
  const asked: string[] = [];
  const revoked: string[] = [];
  let made = 0;
  const urls = new PhotoUrls(
    async (productId: string, size: PhotoSize) => {
      asked.push(`${productId}:${size}`);
      const answer = answers[`${productId}:${size}`];
      if (answer instanceof BackendError) throw answer;
      return answer;
    },
    () => `blob:${++made}`,
    (url) => revoked.push(url),
    maxEntries,
  );
  return { urls, asked, revoked };
}

describe('photo urls', () => {
  it('gives null without asking when the product has no photo', async () => {
    const { urls, asked } = harness({});
    expect(await urls.url('p1', null, 256)).toBeNull();
    expect(asked).toEqual([]);
  });

  it('asks once per hash, also when asked twice at once', async () => {
    const { urls, asked } = harness({ 'p1:256': new Uint8Array([1, 2]) });
    const [a, b] = await Promise.all([urls.url('p1', 'h1', 256), urls.url('p1', 'h1', 256)]);
    expect(a).toBe('blob:1');
    expect(b).toBe('blob:1');
    expect(await urls.url('p1', 'h1', 256)).toBe('blob:1');
    expect(asked).toEqual(['p1:256']);
  });

  it('asks again after "not here yet" and keeps the photo once it came', async () => {
    const answers: Record<string, Uint8Array | BackendError> = {
      'p1:1024': new BackendError('photo_not_here', 'on its way'),
    };
    const { urls, asked } = harness(answers);
    expect(await urls.url('p1', 'big', 1024)).toBeNull();
    answers['p1:1024'] = new Uint8Array([9]);
    expect(await urls.url('p1', 'big', 1024)).toBe('blob:1');
    expect(await urls.url('p1', 'big', 1024)).toBe('blob:1');
    expect(asked).toEqual(['p1:1024', 'p1:1024']);
  });

  it('revokes the least recently used url past its limit', async () => {
    const answers = { 'a:256': new Uint8Array([1]), 'b:256': new Uint8Array([2]), 'c:256': new Uint8Array([3]) };
    const { urls, revoked } = harness(answers, 2);
    await urls.url('a', 'ha', 256);
    await urls.url('b', 'hb', 256);
    await urls.url('a', 'ha', 256); // a is now the most recent
    await urls.url('c', 'hc', 256);
    expect(revoked).toEqual(['blob:2']);
    expect(urls.size).toBe(2);
  });
});

import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { abortOwned, offAbort, onAbort, ownedAbortController } from '../../src/util/abort.ts';

describe('onAbort', () => {
  it('calls every callback still registered, once, in the order added; undone ones are skipped', () => {
    const ac = new AbortController();
    const calls: string[] = [];
    onAbort(ac.signal, () => calls.push('a'));
    const b = () => calls.push('b');
    onAbort(ac.signal, b);
    onAbort(ac.signal, () => calls.push('c'));
    offAbort(ac.signal, b);
    offAbort(new AbortController().signal, b); // never registered there: a no-op
    ac.abort();
    ac.abort();
    expect(calls).toEqual(['a', 'c']);
  });

  it('keeps signals apart, and a callback may register another on a different signal', () => {
    const one = new AbortController();
    const two = new AbortController();
    const calls: string[] = [];
    onAbort(one.signal, () => {
      calls.push('one');
      onAbort(two.signal, () => calls.push('two, registered from one'));
    });
    onAbort(two.signal, () => calls.push('two'));
    one.abort();
    expect(calls).toEqual(['one']);
    two.abort();
    expect(calls).toEqual(['one', 'two', 'two, registered from one']);
  });

  it('works on a signal that cannot take a property (made non-extensible by its owner)', () => {
    const ac = new AbortController();
    Object.preventExtensions(ac.signal);
    const calls: string[] = [];
    onAbort(ac.signal, () => calls.push('a'));
    const b = () => calls.push('b');
    onAbort(ac.signal, b);
    offAbort(ac.signal, b);
    ac.abort();
    expect(calls).toEqual(['a']);
  });

  it('leaves no enumerable trace on the signal', () => {
    const ac = new AbortController();
    onAbort(ac.signal, () => {});
    expect(Object.keys(ac.signal)).toEqual([]);
    expect(JSON.stringify(ac.signal)).toBe('{}');
  });

  it('an owned controller runs the callbacks itself, after listeners others added, with no listener of its own', () => {
    const ac = ownedAbortController();
    const calls: string[] = [];
    const b = () => calls.push('b');
    onAbort(ac.signal, () => calls.push('a'));
    onAbort(ac.signal, b);
    offAbort(ac.signal, b);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
    ac.signal.addEventListener('abort', () => calls.push('listener'));
    abortOwned(ac, new Error('deadline'));
    abortOwned(ac, new Error('again'));
    expect(calls).toEqual(['listener', 'a']);
    expect(ac.signal.reason).toEqual(new Error('deadline'));
  });
});

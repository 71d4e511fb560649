// Views that load when first opened (renderer/src/lazy-view.tsx): the page says it is
// loading, then shows the view; its heading takes the focus that navigation meant for it, and a view
// that failed to load offers to try again.
import './setup-dom.js';
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { lazyView } from '../../renderer/src/lazy-view.js';
import { cleanup, render, screen, waitFor, fireEvent } from './testing.js';

afterEach(() => cleanup());

function Form(props: { title: string }) {
  return (
    <main>
      <h1 tabIndex={-1}>{props.title}</h1>
    </main>
  );
}

describe('lazyView', () => {
  it('shows a loading status, then the view with its props, and focuses its heading', async () => {
    let release: () => void = () => {};
    const ready = new Promise<void>((resolve) => (release = resolve));
    const View = lazyView('the form', () => ready.then(() => Form));
    render(<View title="Add a profile" />);
    assert.match(screen.getByRole('status').textContent ?? '', /Loading the form/);
    release();
    const heading = await screen.findByRole('heading', { name: 'Add a profile' });
    await waitFor(() => assert.equal(document.activeElement, heading));
    // Loaded once: the next time it renders at once.
    cleanup();
    render(<View title="Edit" />);
    assert.ok(screen.getByRole('heading', { name: 'Edit' }));
  });

  it('a view that failed to load says so and loads again on retry', async () => {
    let attempts = 0;
    const View = lazyView('settings', async () => {
      attempts += 1;
      if (attempts === 1) throw new Error('offline');
      return Form;
    });
    render(<View title="Settings" />);
    const retry = await screen.findByRole('button', { name: /try again/i });
    assert.match(screen.getByRole('alert').textContent ?? '', /could not be loaded/);
    fireEvent.click(retry);
    assert.ok(await screen.findByRole('heading', { name: 'Settings' }));
    assert.equal(attempts, 2);
  });
});

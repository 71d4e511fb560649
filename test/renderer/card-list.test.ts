// How the profile list fills: the first cards with the list, the rest in tasks of about
// CHUNK_BUDGET_MS, and a task that has used its budget finishes the list when, at its rate so far,
// the rest fits within WHOLE_LIST_MS, because every further task costs a frame of style, layout and
// paint of the whole list for a few cards. The clock is a fake performance.now() that moves a set
// number of milliseconds per card, so each test fixes the machine's speed.
import './setup-dom.js';
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { createClipboard } from '../../renderer/src/api/index.js';
import { CardList, CHUNK_BUDGET_MS, FIRST_BUDGET_MS, FIRST_CARDS, WHOLE_LIST_MS } from '../../renderer/src/components/card-list.js';
import { DashboardStore } from '../../renderer/src/store.js';
import { createFakeBridge } from './fake-bridge.js';
import { syntheticStatuses } from './fake-dashboard-server.js';

/**
 * performance.now() as a machine that takes `msPerCard` for each card: fill() reads the clock once
 * per card it makes (past the first few), so each reading moves it that much.
 */
function machine(msPerCard: number): void {
  let now = 0;
  mock.method(performance, 'now', () => (now += msPerCard));
}

/** Runs `show()` and then every chunk task, recording how many cards each task put in the list. */
function fill(count: number, msPerCard: number): { perTask: number[]; list: HTMLUListElement; busyAfterFirst: string | null } {
  machine(msPerCard);
  const list = document.createElement('ul');
  document.body.append(list);
  // Every task appends the cards it made past the end of the list as one fragment.
  const perTask: number[] = [];
  const append = list.append.bind(list);
  mock.method(list, 'append', (...nodes: Array<Node | string>) => {
    perTask.push(nodes.reduce((sum, node) => sum + (node instanceof window.DocumentFragment ? node.childNodes.length : 1), 0));
    append(...nodes);
  });
  const bridge = createFakeBridge();
  const cards = new CardList(list, {
    dashboard: { bridge, clipboard: createClipboard(bridge, async () => {}), store: new DashboardStore(bridge), announce: () => {} },
    confirmDelete: () => {},
  });
  cards.show(syntheticStatuses(count));
  const busyAfterFirst = list.getAttribute('aria-busy');
  mock.timers.runAll();
  cards.dispose();
  return { perTask, list, busyAfterFirst };
}

describe('the card list fills in as few tasks as a long task allows', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => {
    mock.timers.reset();
    mock.restoreAll();
    document.body.replaceChildren();
  });

  it('makes 200 cards in one task when the rest fits within WHOLE_LIST_MS at the rate so far', () => {
    // 0.6 ms a card: the first budget runs out at about a hundred cards, and at that rate the rest
    // end well within WHOLE_LIST_MS.
    const { perTask, list, busyAfterFirst } = fill(200, 0.6);
    assert.ok(200 * 0.6 <= WHOLE_LIST_MS && 200 * 0.6 > FIRST_BUDGET_MS, 'the case this test is about');
    assert.deepEqual(perTask, [200]);
    assert.equal(busyAfterFirst, 'false', 'not busy: the list is whole after the first task');
    assert.equal(list.children.length, 200);
  });

  it('stops at the first budget when the rest would not fit, and finishes in chunks', () => {
    // 1 ms a card for 600 cards: the first task makes its budget's worth, each chunk its own, and
    // the last chunk the rest once it fits within WHOLE_LIST_MS; no task makes more than that.
    const { perTask, list, busyAfterFirst } = fill(600, 1);
    assert.equal(busyAfterFirst, 'true');
    assert.equal(list.children.length, 600);
    assert.equal(list.getAttribute('aria-busy'), 'false');
    const [first, ...chunks] = perTask as [number, ...number[]];
    // The first FIRST_CARDS are made before the clock is read.
    assert.ok(first >= FIRST_BUDGET_MS && first <= FIRST_CARDS + FIRST_BUDGET_MS + 1, `first task: ${first} cards`);
    const last = chunks.at(-1) ?? 0;
    assert.ok(last > CHUNK_BUDGET_MS + 2 && last <= WHOLE_LIST_MS + 1, `the last chunk finishes the list: ${last} cards`);
    for (const made of chunks.slice(0, -1)) assert.ok(made >= CHUNK_BUDGET_MS && made <= CHUNK_BUDGET_MS + 2, `a chunk of ${made} cards`);
    // Without the rule, 600 cards at 25 a chunk would take 23 tasks; the last 150 go in one.
    assert.ok(perTask.length <= 1 + Math.ceil((600 - FIRST_BUDGET_MS - WHOLE_LIST_MS) / CHUNK_BUDGET_MS) + 1, `${perTask.length} tasks`);
  });

  it('never lets one task run past WHOLE_LIST_MS, however slow the machine', () => {
    // 4 ms a card: 200 cards would take 800 ms, so only the last few dozen fit in one task, and no
    // task runs past WHOLE_LIST_MS.
    const { perTask } = fill(200, 4);
    assert.ok(perTask.length > 1);
    const [first, ...chunks] = perTask as [number, ...number[]];
    assert.ok(first <= FIRST_CARDS + FIRST_BUDGET_MS / 4 + 1, `first task: ${first} cards`);
    for (const made of chunks) assert.ok(made * 4 <= WHOLE_LIST_MS + 4, `a task of ${made} cards (${made * 4} ms)`);
    assert.equal(perTask.reduce((a, b) => a + b, 0), 200);
  });
});

// The profile list's cards: keeps one <ul> in step with the store's sorted statuses,
// one ProfileCard per profile, keyed by id. A status the store replaced is written again; the
// others are left alone. The first cards are made with the list, the rest in tasks of about
// CHUNK_BUDGET_MS of script each, and a task finishes the list when the rest fits within
// WHOLE_LIST_MS, so a thousand profiles never block the page for long, a few hundred arrive in one
// frame, and the list stays one list (aria-busy while it fills). One click listener serves every
// card's buttons, and one subscription to the clock ticks every card.
import type { ErrorInfo, ProfileStatus } from '../../../common/contract.js';
import type { CopyKind } from '../api/index.js';
import { onDidTick } from '../clock.js';
import type { Dashboard } from '../context.js';
import { postTask } from '../tasks.js';
import { ProfileCard, type CardAction } from './profile-card.js';

/** Script time one task of card making aims at, well under a 50 ms long task. */
export const CHUNK_BUDGET_MS = 25;
/** Cards made with the list whatever they cost: a tall screen's worth, so the first paint is complete. */
export const FIRST_CARDS = 12;
/**
 * Script time of the task that makes the list: longer than a later chunk, as every chunk costs
 * a frame of style and layout besides.
 */
export const FIRST_BUDGET_MS = 50;
/**
 * A task that has used its budget still makes the rest of the list when, at the rate so far, that
 * ends within this much script: each further task costs a frame of style, layout and paint of the
 * whole list besides, more than the cards it would have made (on a busy machine 200
 * profiles split 198 + 2, and the second frame took 100-140 ms for two cards). Under the 200 ms long
 * task the issue allows at 1,000 profiles.
 */
export const WHOLE_LIST_MS = 150;

const COPY_KINDS: Partial<Record<CardAction, CopyKind>> = { 'copy-token': 'token', 'copy-header': 'header', 'copy-curl': 'curl' };

const COPY_LABELS: Record<CopyKind, string> = {
  token: 'Token copied to the clipboard.',
  header: 'Authorization header copied to the clipboard.',
  curl: 'curl example copied to the clipboard.',
};

export interface CardListHost {
  dashboard: Pick<Dashboard, 'bridge' | 'clipboard' | 'store' | 'announce'>;
  /** Delete asks first: the view shows its dialog, and calls remove() when confirmed. */
  confirmDelete(status: ProfileStatus): void;
}

export class CardList {
  private readonly cards = new Map<string, ProfileCard>();
  private target: readonly ProfileStatus[] = [];
  /** Index in `target` of the next card to put in place, and the element put there before it. */
  private next = 0;
  private placed: Element | null = null;
  private cancelFill: (() => void) | null = null;
  private stopTicks: (() => void) | null = null;

  constructor(
    private readonly list: HTMLUListElement,
    private readonly host: CardListHost,
  ) {
    list.addEventListener('click', this.onClick);
  }

  /** Shows `statuses` in this order; the first `atLeast` cards (a linked profile's) at once. */
  show(statuses: readonly ProfileStatus[], atLeast = 0): void {
    const ids = new Set(statuses.map((status) => status.id));
    for (const [id, card] of this.cards) {
      if (ids.has(id)) continue;
      card.element.remove();
      this.cards.delete(id);
    }
    this.cancelFill?.();
    this.cancelFill = null;
    this.target = statuses;
    this.next = 0;
    this.placed = null;
    this.fill(Math.max(atLeast, FIRST_CARDS), FIRST_BUDGET_MS);
    if (this.cards.size > 0) this.stopTicks ??= onDidTick(this.tick);
    else {
      this.stopTicks?.();
      this.stopTicks = null;
    }
  }

  /** Deletes a profile (after the view's confirmation); true when it is gone. */
  async remove(id: string): Promise<boolean> {
    const card = this.cards.get(id);
    if (!card) return false;
    const { bridge, store, announce } = this.host.dashboard;
    const name = card.name;
    let removed = false;
    await this.run(card, 'Delete', async () => {
      const result = await bridge.invoke('profiles:remove', id);
      if (!result.ok) return result.error;
      removed = true;
      store.removeProfile(id);
      announce(`${name} deleted.`);
      return null;
    });
    return removed;
  }

  dispose(): void {
    this.list.removeEventListener('click', this.onClick);
    this.cancelFill?.();
    this.stopTicks?.();
    this.cancelFill = this.stopTicks = null;
    this.cards.clear();
  }

  private fill(atLeast: number, budgetMs: number): void {
    const started = performance.now();
    const now = Date.now();
    const { target, list } = this;
    // New cards past the end of the list go in one fragment, inserted once: one insertion into the
    // page instead of one per card.
    let batch: DocumentFragment | null = null;
    const first = this.next;
    let budget = budgetMs;
    while (this.next < target.length) {
      if (this.next >= atLeast) {
        const elapsed = performance.now() - started;
        if (elapsed > budget) {
          if (budget >= WHOLE_LIST_MS || !this.endsWithin(elapsed, first, WHOLE_LIST_MS)) break;
          budget = WHOLE_LIST_MS;
        }
      }
      const status = target[this.next] as ProfileStatus;
      let card = this.cards.get(status.id);
      if (!card) {
        card = new ProfileCard(status, now);
        this.cards.set(status.id, card);
      } else if (card.status !== status) {
        card.update(status, now);
      }
      const atEnd = batch !== null || (this.placed ? this.placed.nextSibling === null : list.firstChild === null);
      if (atEnd && card.element.parentNode === null) {
        (batch ??= document.createDocumentFragment()).append(card.element);
      } else {
        if (batch) list.append(batch);
        batch = null;
        const at = this.placed ? this.placed.nextSibling : list.firstChild;
        if (card.element !== at) list.insertBefore(card.element, at);
      }
      this.placed = card.element;
      this.next += 1;
    }
    if (batch) list.append(batch);
    const filling = this.next < target.length;
    if (list.getAttribute('aria-busy') !== String(filling)) list.setAttribute('aria-busy', String(filling));
    if (filling) {
      this.cancelFill = postTask(() => {
        this.cancelFill = null;
        this.fill(0, CHUNK_BUDGET_MS);
      }, 'user-visible');
    }
  }

  /** True when, at the rate since `first`, the cards still to make would be done within `limitMs`. */
  private endsWithin(elapsed: number, first: number, limitMs: number): boolean {
    const made = this.next - first;
    return made > 0 && elapsed + (elapsed / made) * (this.target.length - this.next) <= limitMs;
  }

  private readonly tick = (): void => {
    const now = Date.now();
    for (const card of this.cards.values()) card.tick(now);
  };

  private readonly onClick = (event: MouseEvent): void => {
    const button = (event.target as Element | null)?.closest?.('button[data-action]') as HTMLButtonElement | null;
    const id = button?.closest('li')?.dataset.profileId;
    const card = id === undefined ? undefined : this.cards.get(id);
    if (!button || !card || !this.list.contains(button)) return;
    void this.act(card, button.dataset.action as CardAction);
  };

  private async act(card: ProfileCard, action: CardAction): Promise<void> {
    const { bridge, clipboard, store, announce } = this.host.dashboard;
    const { id, name } = card;
    const copyKind = COPY_KINDS[action];
    if (copyKind) {
      await this.run(card, 'Copy', async () => {
        const result = await clipboard.copyProfile(id, copyKind);
        if (!result.ok) return result.error;
        announce(COPY_LABELS[copyKind]);
        return null;
      });
      return;
    }
    switch (action) {
      case 'refresh':
        await this.run(card, 'Refresh', async () => {
          const result = await bridge.invoke('profiles:refresh', id);
          if (!result.ok) return result.error;
          announce(`${name} refreshed.`);
          return null;
        });
        return;
      case 'pause': {
        const paused = card.status.state === 'paused';
        await this.run(card, paused ? 'Resume' : 'Pause', async () => {
          const result = await bridge.invoke('profiles:pause', id, !paused);
          if (!result.ok) return result.error;
          store.upsertProfile(result.value);
          announce(paused ? `${name} resumed.` : `${name} paused.`);
          return null;
        });
        return;
      }
      case 'delete':
        this.host.confirmDelete(card.status);
        return;
    }
  }

  /** One action at a time per card: its buttons wait, and a failure shows in the card and is said. */
  private async run(card: ProfileCard, action: string, work: () => Promise<ErrorInfo | null>): Promise<void> {
    card.setBusy(action);
    card.showActionError(null);
    try {
      const error = await work();
      if (error) {
        card.showActionError({ action, error });
        this.host.dashboard.announce(`${action} failed for ${card.name}: ${error.message}`);
      }
    } finally {
      card.setBusy(null);
    }
  }
}

// A time shown relative to now ("in 4 min 12 s", "3 min 05 s ago") that follows the clock by itself,
// writing its own text: whatever contains it does not re-render
// each second, and neither does it.
import { useRef, type ReactNode } from 'react';
import { useTick, writeText } from '../clock.js';
import { formatRelative } from '../format.js';

export function RelativeTime(props: { iso: string | null | undefined }): ReactNode {
  const { iso } = props;
  const ref = useRef<HTMLSpanElement>(null);
  // The text last put on the page: a tick that reads the same touches no DOM at all.
  const shown = useRef('');
  useTick((now) => {
    const text = formatRelative(iso, now);
    if (text === shown.current) return;
    shown.current = text;
    writeText(ref.current, text);
  });
  shown.current = formatRelative(iso, Date.now());
  return (
    <span className="relative-time" ref={ref}>
      {shown.current}
    </span>
  );
}

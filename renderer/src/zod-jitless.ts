// zod 4 compiles object parsers with `new Function` when it can, and probes for that by trying it;
// under the dashboard's CSP (script-src 'self', no 'unsafe-eval') the probe alone is reported as a
// violation. Jitless parsing is plenty fast for forms. Imported first by each view that validates
// (they load when first opened, see lazy-view.tsx).
import { config } from 'zod';

config({ jitless: true });

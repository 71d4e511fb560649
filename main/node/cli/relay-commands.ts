// `tokentray relay ID`: where an OAuth client finds the profile's token relay, the
// token URL and the issuer (docs/http-api.md, "The token relay"). The port is the running app's
// (runtime.json), else the configured one; nothing here opens the vault or sends a request.
import type { Command } from 'commander';
import { apiBaseUrl, relayAudience, relayEndpoints, relayRefusalFor } from '../../../common/relay.js';
import { readRuntimeFile } from '../runtime-file.js';
import { usageError, type CliIo, type CommonOptions } from './context.js';
import { withCommonOptions, type Runner } from './shared.js';

export function registerRelayCommands(program: Command, _io: CliIo, run: Runner): void {
  withCommonOptions(program.command('relay').argument('<id>', 'profile id'), { json: true })
    .description("print the profile's OAuth token URL and issuer, for clients that request their own tokens")
    .action((id: string, options: CommonOptions) =>
      run(options, async (context) => {
        const profile = context.requireProfile(id);
        const refusal = relayRefusalFor(profile);
        if (refusal !== null) {
          // A usage error: the relay exists for every profile id, but this provider's credential is no
          // bearer token, so no OAuth client could use the URL (the relay answers unauthorized_client).
          throw usageError(`profile "${id}" cannot be relayed. ${refusal.replace('{id}', id)}`, `Use \`tokentray headers ${id}\` or the proxy at /v1/proxy/${id}/ instead.`);
        }
        const running = await readRuntimeFile(context.configDir);
        const port = running?.port ?? context.store.getSettings().port;
        const endpoints = relayEndpoints(apiBaseUrl(port), id);
        const audience = relayAudience(profile);
        if (options.json) {
          return context.json({ profile: id, ...endpoints, audience: audience ?? null, running: running !== null });
        }
        context.out(`Token URL: ${endpoints.tokenUrl}\nIssuer:    ${endpoints.issuer}\n`);
        if (audience !== undefined) context.out(`Audience:  ${audience}\n`);
        const stderr = context.io.stderr;
        stderr.write(`Authenticate with a client key as the client secret and its name as the client id (\`tokentray clients add NAME --profiles ${id}\`).\n`);
        if (running === null) stderr.write(`Tokentray is not running for this config directory: start \`tokentray serve\` (or the app) for the URL to answer on port ${port}.\n`);
      }),
    );
}

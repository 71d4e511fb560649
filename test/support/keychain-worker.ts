// One process of the keychain stress test: writes its own profiles' entries, lists the service and
// deletes them again, ROUNDS times. Exits 0 when every round read back what it wrote.
import { KeytarVault } from '../../main/node/keytar-vault.js';

const [service, name, roundsText] = process.argv.slice(2);
const vault = new KeytarVault({ service });
const rounds = Number(roundsText);
for (let round = 0; round < rounds; round += 1) {
  const ids = [0, 1, 2].map((i) => `${name}-${round}-${i}`);
  await Promise.all(ids.map((id) => vault.setSecret(id, 'clientSecret', `secret of ${id}`)));
  await Promise.all(ids.map((id) => vault.setCachedToken(id, { accessToken: `t-${id}`, tokenType: 'Bearer', headers: {}, obtainedAt: 1, expiresAt: 2 })));
  const listed = await vault.accounts();
  for (const id of ids) if (!listed.includes(`${id}:clientSecret`)) throw new Error(`${id} was not listed`);
  await Promise.all(ids.map((id) => vault.deleteProfile(id)));
  for (const id of ids) if ((await vault.getSecret(id, 'clientSecret')) !== null) throw new Error(`${id} survived its delete`);
}
process.stdout.write('ok\n');

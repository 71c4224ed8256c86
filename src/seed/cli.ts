/**
 * `npm run seed`: replaces the demo collections of the database at MONGODB_URI with generated demo
 * data. SEED_SCALE (default 0) adds that many generated crew apps per team.
 */
import { MongoClient } from 'mongodb';
import { databaseNameFromUri } from '../db/database-name';
import { generateDemoData } from './generate';
import { loadDemoData } from './load';
import { COLLECTION_NAMES } from '../data-model/collections';

function parseScale(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') {
    return 0;
  }
  const scale = Number(raw);
  if (!Number.isSafeInteger(scale) || scale < 0) {
    throw new Error(`SEED_SCALE must be a non-negative integer, got "${raw}"`);
  }
  return scale;
}

async function main(): Promise<void> {
  const uri = process.env.MONGODB_URI;
  if (!uri) {
    throw new Error(
      'MONGODB_URI is not set: give the URI of the MongoDB to fill, e.g. mongodb://127.0.0.1:27017/agentcloud',
    );
  }
  const scale = parseScale(process.env.SEED_SCALE);
  const data = generateDemoData({ scale });
  const dbName = databaseNameFromUri(uri);
  const client = new MongoClient(uri);
  try {
    const started = Date.now();
    await loadDemoData(client.db(dbName), data);
    console.log(`Seeded database "${dbName}" (scale ${scale}) in ${Date.now() - started} ms:`);
    for (const name of COLLECTION_NAMES) {
      console.log(`  ${name.padEnd(12)} ${data.collections[name].length}`);
    }
  } finally {
    await client.close();
  }
}

main().catch((error: unknown) => {
  console.error(`seed failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});

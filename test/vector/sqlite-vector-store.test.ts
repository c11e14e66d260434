/** The embedded vector store (SQLite, exact cosine) through the shared suite. */
import { sqliteVectors } from './backends.ts';
import { vectorSuite } from './vector-suite.ts';

vectorSuite(sqliteVectors());

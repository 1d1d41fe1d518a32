import { startMoto } from '../../local/moto';

/**
 * Starts one moto server for the whole run. Suites read its address from HW_MOTO_ENDPOINT and use
 * unique resource names. If it cannot start, the run fails with the reason (never skips).
 */
export default async function globalSetup(): Promise<void> {
  const moto = await startMoto();
  process.env.HW_MOTO_ENDPOINT = moto.endpoint;
  process.env.AWS_ACCESS_KEY_ID = 'testing';
  process.env.AWS_SECRET_ACCESS_KEY = 'testing';
  process.env.AWS_REGION = 'us-east-1';
  (globalThis as { __HW_MOTO__?: typeof moto }).__HW_MOTO__ = moto;
}

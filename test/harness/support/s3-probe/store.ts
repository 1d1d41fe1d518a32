/** The probe processor's S3 side (see index.ts): its own bundle, loaded on first use. */
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

// Region, endpoint and credentials from the environment, as on Lambda.
const s3 = new S3Client({});

export async function writeOnceAndRead(bucket: string, key: string, body: string): Promise<string | undefined> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, IfNoneMatch: '*', ContentType: 'application/json' }));
  const read = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return read.Body?.transformToString();
}

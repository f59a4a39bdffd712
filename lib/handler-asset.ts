/**
 * The code of the SchemaMigrations handler: the pre-built bundle
 * (dist/handler: `index.js` and the SQL parser's `libpg-query.wasm`) with the
 * user's migrations, contracts and snapshot copied beside it, assembled at
 * synth time by a local bundling step that only copies files — no esbuild,
 * no Docker in the app that uses the construct. The asset is hashed on its
 * output, so a changed migration gives a new asset and the function's code
 * changes with the files it applies (a rollback of the function rolls the
 * files back too).
 */
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AssetHashType, DockerImage, type BundlingOptions, type ILocalBundling } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DEFAULTS } from '../lambda/handler/constants';
import type { MigrationLayout } from '../lambda/engine/files/layout';
import { migrationFilesOf, readFiles } from '../lambda/handler/files-hash';
import { refuseLinkOut } from '../lambda/engine/files/links';
import { HANDLER_BUNDLE_DIR, HANDLER_BUNDLE_FILES } from './paths';
import type { UserFiles } from './user-files';

/**
 * Copies the bundle and the user's files into the asset directory. Its fields
 * are part of CDK's asset cache key (the bundling options are serialised), so
 * two constructs with different files never share an asset.
 */
class HandlerAssetFiles implements ILocalBundling {
  constructor(
    readonly bundleDir: string,
    readonly migrationsDir: string,
    readonly migrationsLayout: MigrationLayout,
    readonly contractsDir: string | undefined,
    readonly snapshotFile: string | undefined,
  ) {}

  tryBundle(outputDir: string): boolean {
    for (const file of HANDLER_BUNDLE_FILES) copyFileSync(join(this.bundleDir, file), join(outputDir, file));
    // Only the files the handler reads, the ones FilesHash covers (readFiles: the folder's own .sql files, no dot files);
    // a README, another tool's JSON or an archive folder would change the asset and redeploy the function for nothing.
    // A link inside the folder is copied as the file it points to; one that leaves the folder is refused (nothing outside it ships).
    // Prisma's folders and drizzle's journal keep their places (migrationFilesOf).
    const copy = (from: string, to: string, files: string[]) => {
      mkdirSync(to, { recursive: true });
      for (const file of files) {
        refuseLinkOut(from, join(from, file), join(from, file));
        mkdirSync(dirname(join(to, file)), { recursive: true });
        copyFileSync(join(from, file), join(to, file));
      }
    };
    copy(this.migrationsDir, join(outputDir, DEFAULTS.migrationsDir), migrationFilesOf(this.migrationsDir, this.migrationsLayout));
    if (this.contractsDir) copy(this.contractsDir, join(outputDir, DEFAULTS.contractsDir), readFiles(this.contractsDir));
    if (this.snapshotFile) copyFileSync(this.snapshotFile, join(outputDir, DEFAULTS.snapshotFile));
    return true;
  }
}

/** Throws, naming the path and the fix, when the pre-built handler is not there. */
export function checkHandlerBundle(owner: string, bundleDir: string = HANDLER_BUNDLE_DIR): void {
  const missing = HANDLER_BUNDLE_FILES.filter((file) => !existsSync(join(bundleDir, file)));
  if (missing.length) {
    throw new Error(
      `${owner}: the pre-built handler is missing (${missing.map((f) => join(bundleDir, f)).join(', ')}); in the schemaguard repository run \`npm run build\`, in an app reinstall schemaguard (the package ships it)`,
    );
  }
}

/** The handler's code: the pre-built bundle plus `files`, as one directory asset. */
export function handlerCode(files: UserFiles, bundleDir: string = HANDLER_BUNDLE_DIR): lambda.Code {
  const bundling: BundlingOptions = {
    local: new HandlerAssetFiles(bundleDir, files.migrationsDir, files.migrationsLayout, files.contractsDir, files.snapshotFile),
    // Required by the type; never pulled: the local step above always succeeds or throws.
    image: DockerImage.fromRegistry('schemaguard-handler-is-prebuilt'),
  };
  return lambda.Code.fromAsset(bundleDir, { assetHashType: AssetHashType.OUTPUT, bundling });
}

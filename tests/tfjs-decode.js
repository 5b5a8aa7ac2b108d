// tfjs-decode.js: decode a TensorFlow.js model's weights with TF.js itself, the oracle of
// tests/test_tfjs.py. usage (NODE_PATH holding @tensorflow/tfjs-core and tfjs-backend-cpu):
//   node tests/tfjs-decode.js MODEL_OR_MANIFEST.json OUTDIR
// For every weight, tf.io.decodeWeights (tfjs-core's own decoding: affine uint8/uint16
// dequantisation, float16) gives a tensor; its values are written as OUTDIR/K.bin (float32 or
// int32, little-endian, TF.js's stored axis order) and OUTDIR/index.json lists
// {name, dtype, shape, file} in manifest order.
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');

async function main() {
  const [file, out] = process.argv.slice(2);
  await tf.setBackend('cpu');
  const j = JSON.parse(fs.readFileSync(file, 'utf8'));
  const groups = Array.isArray(j) ? j : j.weightsManifest;
  const dir = path.dirname(file);
  const index = [];
  let k = 0;
  for (const g of groups) {
    const bufs = g.paths.map((p) => {
      const b = fs.readFileSync(path.join(dir, p));
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
    });
    const w = tf.io.decodeWeights(bufs, g.weights);
    for (const spec of g.weights) {
      const t = w[spec.name];
      let f = null;
      if (t.dtype === 'float32' || t.dtype === 'int32') {
        const d = t.dataSync();
        f = `${k}.bin`;
        fs.writeFileSync(path.join(out, f), Buffer.from(d.buffer, d.byteOffset, d.byteLength));
      }
      index.push({name: spec.name, dtype: t.dtype, shape: t.shape, file: f});
      k++;
    }
  }
  fs.writeFileSync(path.join(out, 'index.json'), JSON.stringify(index));
  console.log(`tfjs-core ${tf.version_core}: ${k} weights`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

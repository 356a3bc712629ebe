#!/usr/bin/env bash
# Submit examples/spark_job.py to a cluster. A native extension cannot be imported from a
# --py-files zip, so the job ships a packed virtualenv holding the banchi wheel (--archives,
# unpacked as ./environment on every node, used through PYSPARK_PYTHON) and the fraud index
# (--files, found by its file name through SparkFiles). Run from the repository root.
set -euo pipefail

# 1. A virtualenv with banchi (built here; the nodes need the same glibc or newer) and pyarrow,
#    packed.
python3 -m venv /tmp/banchi-env
/tmp/banchi-env/bin/pip install ./python pyarrow "pandas<3" venv-pack
/tmp/banchi-env/bin/venv-pack -p /tmp/banchi-env -o /tmp/banchi-env.tar.gz --force

# 2. The index, built once from the list.
target/release/banchi index build fraud.csv -o fraud.idx

# 3. The job.
export PYSPARK_DRIVER_PYTHON=/tmp/banchi-env/bin/python
export PYSPARK_PYTHON=./environment/bin/python
spark-submit \
  --master "${SPARK_MASTER:-yarn}" \
  --archives /tmp/banchi-env.tar.gz#environment \
  --conf spark.executorEnv.PYSPARK_PYTHON=./environment/bin/python \
  --files fraud.idx \
  python/examples/spark_job.py "$1" "$2"

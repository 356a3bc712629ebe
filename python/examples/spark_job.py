"""A spark-submit job: screen every order of a Parquet directory on a cluster.

    spark-submit ... python/examples/spark_job.py s3://bucket/orders/ s3://bucket/screened/

(see spark-submit.sh beside this file for the packed virtualenv and the shipped index). The
fraud index is shipped with ``--files fraud.idx``: each Python worker process opens it once
(memory-mapped: the workers of a node share its pages) through ``SparkFiles``.
"""

import sys

from pyspark.sql import SparkSession, functions as F

from banchi import spark as bspark

source, target = sys.argv[1:3]
spark = SparkSession.builder.appName("banchi-rescreen").getOrCreate()
orders = spark.read.parquet(source)
loads = spark.sparkContext.accumulator(0)
screened = bspark.screen(
    orders,
    address_col="address",
    fraud="fraud.idx",  # the file name given to --files
    phone_col="phone",
    email_col="email",
    loads=loads,
)
screened.write.mode("overwrite").parquet(target)
print(f"lists loaded {loads.value} times (once per Python worker)")

# Velocity is not computed on Spark (it needs the rows in order): group on the delivery point.
(
    spark.read.parquet(target)
    .where(F.col("velocity_key").isNotNull())
    .groupBy("velocity_key")
    .agg(F.countDistinct("name").alias("names"), F.count("*").alias("orders"))
    .where(F.col("names") >= 3)
    .orderBy(F.desc("names"))
    .show(20, truncate=False)
)

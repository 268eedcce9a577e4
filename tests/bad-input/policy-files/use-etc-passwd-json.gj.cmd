check {} --data ok.csv --as-of 2017-06-30 --format json

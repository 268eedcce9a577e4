check {} --data ok.csv --as-of 2017-06-30 --calendar /dev/zero --color never --lang en

check {} --data ok.csv --as-of 2017-06-30 --calendar /etc/passwd --color never --lang en

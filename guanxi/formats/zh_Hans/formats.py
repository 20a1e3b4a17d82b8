# Chinese business documents group amounts by thousands (¥4,136,570.33);
# Django's zh_Hans locale leaves the separator empty.
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3

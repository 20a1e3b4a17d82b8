#!/usr/bin/env python
from guanxi.cli import main

if __name__ == "__main__":
    main()

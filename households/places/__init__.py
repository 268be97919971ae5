"""Villages and areas over their life: merging one into another, retiring (已撤销) and restoring them."""

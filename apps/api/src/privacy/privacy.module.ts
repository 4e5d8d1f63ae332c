import { Module } from '@nestjs/common';
import { ActivationsModule } from '../activations/activations.module';
import { PrivacyController } from './privacy.controller';
import { PrivacyService } from './privacy.service';

/** Personal data rights: erasure (crypto-shredding) and export. */
@Module({
  imports: [ActivationsModule],
  controllers: [PrivacyController],
  providers: [PrivacyService],
})
export class PrivacyRoutesModule {}
